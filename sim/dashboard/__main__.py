"""`python -m sim.dashboard [--host HOST] [--port PORT]`: serve the page (Solara) and print
its address. Ctrl-C stops it."""

import importlib.util
import os
import socket
import sys
import threading
import warnings

from sim.errors import InputError, OneLineParser

DEFAULT_HOST = "127.0.0.1"  # this machine only; reach it from elsewhere by an SSH tunnel
DEFAULT_PORT = 8765
APP = "sim.dashboard.app"


def _parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m sim.dashboard", description=__doc__)
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to listen on (default {DEFAULT_HOST}: this machine only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port (default {DEFAULT_PORT}; 0: any free port)")
    return parser


def free_port(host: str, port: int) -> int:
    """`port` if it is free on `host` (any free port for 0); OSError if not."""
    with socket.socket() as probe:
        probe.bind((host, port))
        return probe.getsockname()[1]


def announce(host: str, port: int) -> None:
    """Print the address once the server accepts connections there, not before."""
    pause = threading.Event()
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                break
        except OSError:
            pause.wait(0.1)
    print(f"Dashboard: http://{host}:{port}  (Ctrl-C stops it)", flush=True)


def quiet_start(rich_print):
    """Solara's rich.print without its "Solara server is starting at URL" line: it names the
    address before the server listens there; `announce` prints it once it does."""
    def printed(*objects, **options):
        if not (objects and str(objects[0]).startswith("Solara server is starting at")):
            rich_print(*objects, **options)
    return printed


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if importlib.util.find_spec("solara") is None:
        print("error: the dashboard needs the dashboard extra; install it with "
              "pip install -e '.[dashboard]'", file=sys.stderr)
        return 2
    if not 0 <= args.port < 65536:
        print(f"error: --port: {args.port} must be in 0..65535", file=sys.stderr)
        return 2
    try:
        port = free_port(args.host, args.port)
    except OSError as err:
        print(f"error: --host {args.host} --port {args.port}: cannot listen there ({err.strerror}); "
              "choose another port with --port", file=sys.stderr)
        return 2
    # no usage reports from a research machine (read when solara's settings load)
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    # nor the banner that names the framework over the bottom right of the results
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    # advice for developers of Solara apps (hooks in Mesa's components, cookies over https)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"solara(\.|$)")
    import rich
    from solara.__main__ import cli

    from sim.dashboard.session import warm_up

    rich.print = quiet_start(rich.print)

    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    threading.Thread(target=announce, args=(args.host, port), daemon=True).start()
    cli.main(["run", APP, "--production", "--no-open", "--no-check-version", "--host", args.host,
              "--port", str(port)], prog_name="python -m sim.dashboard", standalone_mode=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
