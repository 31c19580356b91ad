"""Storage (`/storage/v1`): objects in buckets, with RLS on `storage.objects` deciding.

Modules: `access` (caller, names, buckets, limits), `writes` (test insert, bodies,
commit), `objects` (object routes), `headers` (what the renderers send with an object),
`signed` (signed URLs), `buckets`, `tus` + `uploads` (resumable uploads, signed ones too),
`blobs` (bytes on disk, MD5 and multipart etags), `errors` (both envelopes).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from ..service import Service
from . import tus
from .buckets import create_bucket, get_bucket, list_buckets
from .errors import endpoint
from .objects import (
    copy,
    download,
    download_authenticated,
    download_public,
    info,
    info_authenticated,
    list_objects,
    list_objects_v2,
    move,
    remove_many,
    remove_one,
    upload,
)
from .signed import sign_many, sign_one, sign_upload, signed_download, signed_upload


def routes() -> list[BaseRoute]:
    obj = "/object/{bucket}/{path:path}"
    return [
        *tus.routes(),
        Route("/bucket", endpoint(list_buckets), methods=["GET"]),
        Route("/bucket", endpoint(create_bucket), methods=["POST"]),
        Route("/bucket/{bucket}", endpoint(get_bucket), methods=["GET"]),
        Route("/object/list/{bucket}", endpoint(list_objects), methods=["POST"]),
        Route("/object/list-v2/{bucket}", endpoint(list_objects_v2), methods=["POST"]),
        Route("/object/move", endpoint(move), methods=["POST"]),
        Route("/object/copy", endpoint(copy), methods=["POST"]),
        Route("/object/upload/sign/{bucket}/{path:path}", endpoint(sign_upload),
              methods=["POST"]),
        Route("/object/upload/sign/{bucket}/{path:path}", endpoint(signed_upload),
              methods=["PUT"]),
        Route("/object/sign/{bucket}", endpoint(sign_many), methods=["POST"]),
        Route("/object/sign/{bucket}/{path:path}", endpoint(sign_one), methods=["POST"]),
        Route("/object/sign/{bucket}/{path:path}", endpoint(signed_download),
              methods=["GET", "HEAD"]),
        Route("/object/info/authenticated/{bucket}/{path:path}", endpoint(info_authenticated),
              methods=["GET"]),
        Route("/object/info/{bucket}/{path:path}", endpoint(info), methods=["GET"]),
        Route("/object/authenticated/{bucket}/{path:path}", endpoint(download_authenticated),
              methods=["GET", "HEAD"]),
        Route("/object/public/{bucket}/{path:path}", endpoint(download_public),
              methods=["GET", "HEAD"]),
        Route("/object/{bucket}", endpoint(remove_many), methods=["DELETE"]),
        Route(obj, endpoint(upload), methods=["POST", "PUT"]),
        Route(obj, endpoint(download), methods=["GET", "HEAD"]),
        Route(obj, endpoint(remove_one), methods=["DELETE"]),
    ]


SERVICE = Service("/storage/v1", routes)

__all__ = ["SERVICE", "routes"]
