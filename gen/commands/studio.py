"""`gen studio`: serve the web app (gen.studio) on this machine with uvicorn until Ctrl-C."""

from __future__ import annotations

import socket
from pathlib import Path

from gen.console import log, warn
from gen.errors import GenError

LOCAL = ("127.0.0.1", "localhost", "::1")


def runs_folder(runs: Path | None) -> Path:
    """The folder to show: ``--runs``; by default ./checkpoints, or, while that holds no run,
    the models that come with gen (so the studio has something to show before any training)."""
    if runs is not None:
        return runs
    from gen.resources import bundled_root
    from gen.studio.runs import list_runs

    default = Path("checkpoints")
    bundled = bundled_root()
    if not list_runs(default) and bundled is not None:
        log(f"no runs under {default}/ yet: showing the models that come with gen")
        return bundled
    return default


def run(runs: Path | None, port: int, host: str, open_browser: bool) -> None:
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError:
        # Both are dependencies of gen: only a damaged environment gets here.
        raise GenError("starlette or uvicorn is missing from this Python environment; "
                       "reinstall gen (pip install -e .)") from None
    if not 0 <= port <= 65535:
        raise GenError("--port must be between 0 and 65535")
    runs = runs_folder(runs)
    if not runs.is_dir():
        raise GenError(f"no runs folder {runs}/: train a model first (`gen train CORPUS`) "
                       "or pass --runs DIR")
    if host not in LOCAL:
        warn(f"serving on {host}: anyone who can reach this machine on port {port} can use "
             "the studio and read every run under " + str(runs))
    from gen.studio.app import create_app

    # Bind first, so a port in use is one clear line and the printed address is the real one.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)  # connections made once the address is shown wait for the server
    except OSError as e:
        sock.close()
        raise GenError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    log(f"gen studio: {url}  (runs from {runs}/; Ctrl-C stops)")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    config = uvicorn.Config(create_app(runs, str(runs), host), log_level="warning", access_log=False,
                            timeout_graceful_shutdown=3)  # Ctrl-C does not wait on a long sample
    server = uvicorn.Server(config)
    try:
        # uvicorn handles Ctrl-C (finishes open requests, runs shutdown), then raises SIGINT
        # again for the caller: the stop was asked for, so it ends here with status 0.
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    log("gen studio stopped")
