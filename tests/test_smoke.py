import wyntek_desktop
from wyntek_desktop.core.errors import NetworkError, SignInRequired, TLSError


def test_error_tree_exit_codes() -> None:
    assert SignInRequired().exit_code == 2
    assert TLSError("x").exit_code == 3 and isinstance(TLSError("x"), NetworkError)
    assert wyntek_desktop.__version__
