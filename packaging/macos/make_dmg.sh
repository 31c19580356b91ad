#!/usr/bin/env bash
# macOS: sign "WYNTEK Desktop.app", put it in a .dmg, notarise and staple both.
#
#   packaging/macos/make_dmg.sh "dist/WYNTEK Desktop.app" dist/packages
#
# Defined here and run on a hosted macOS runner (.github/workflows/release.yml); it has
# never run on the Linux development machines. Secrets (placeholders until the Apple
# Developer account exists), read from the environment:
#   WYNTEK_CODESIGN_IDENTITY   "Developer ID Application: WYNTEK (TEAMID)"; unset: unsigned
#   WYNTEK_NOTARY_APPLE_ID     Apple ID of the notarising account
#   WYNTEK_NOTARY_TEAM_ID      the team id
#   WYNTEK_NOTARY_PASSWORD     an app-specific password of that Apple ID
# Without a signing identity the script still makes an (unsigned) .dmg for testing.
set -euo pipefail

APP="${1:?usage: make_dmg.sh APP_BUNDLE OUT_DIR}"
OUT="${2:?usage: make_dmg.sh APP_BUNDLE OUT_DIR}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSION="$(/usr/libexec/PlistBuddy -c 'Print :CFBundleShortVersionString' "$APP/Contents/Info.plist")"
ARCH="$(uname -m)"
DMG="$OUT/wyntek-desktop-$VERSION-macos-$ARCH.dmg"
IDENTITY="${WYNTEK_CODESIGN_IDENTITY:-}"
mkdir -p "$OUT"

if [ -n "$IDENTITY" ]; then
    echo "==> signing $APP (hardened runtime)"
    codesign --force --deep --options runtime --timestamp \
        --entitlements "$HERE/entitlements.plist" --sign "$IDENTITY" "$APP"
    codesign --verify --deep --strict --verbose=2 "$APP"
else
    echo "==> WYNTEK_CODESIGN_IDENTITY is not set: the .dmg will be unsigned" >&2
fi

echo "==> making $DMG"
staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
cp -R "$APP" "$staging/"
ln -s /Applications "$staging/Applications"
rm -f "$DMG"
hdiutil create -volname "WYNTEK Desktop" -srcfolder "$staging" -fs HFS+ -format UDZO \
    -imagekey zlib-level=9 "$DMG"

if [ -n "$IDENTITY" ]; then
    codesign --force --timestamp --sign "$IDENTITY" "$DMG"
    if [ -n "${WYNTEK_NOTARY_APPLE_ID:-}" ]; then
        echo "==> notarising (waits for Apple's answer)"
        xcrun notarytool submit "$DMG" --apple-id "$WYNTEK_NOTARY_APPLE_ID" \
            --team-id "$WYNTEK_NOTARY_TEAM_ID" --password "$WYNTEK_NOTARY_PASSWORD" --wait
        xcrun stapler staple "$DMG"
        xcrun stapler validate "$DMG"
        spctl --assess --type open --context context:primary-signature --verbose "$DMG"
    else
        echo "==> WYNTEK_NOTARY_APPLE_ID is not set: signed but not notarised" >&2
    fi
fi
echo "$DMG"
