"""The ``layerwise`` command line.

``layerwise demo`` runs the weather lesson end to end (see ``layerwise.demo``):
89 weather features in, tomorrow's sunshine hours in Basel out, trained with
early stopping and compared with the "tomorrow = today" baseline.

``layerwise playground`` serves the TensorFlow-Playground lesson on
127.0.0.1 (see ``layerwise.playground``), trained by a real layerwise model.
"""

import argparse
import sys


def _demo(args):
    from layerwise import demo

    demo.run(epochs=args.epochs, seed=args.seed, plot_path=args.plot or None)
    return 0


def _playground(args):
    # Imported here, so that the other commands work without the web server's packages.
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
        import websockets  # noqa: F401  (uvicorn's WebSocket support)
    except ImportError as missing:
        print(f"layerwise playground needs the 'playground' extra ({missing.name} is missing): "
              "pip install \"layerwise[playground]\"", file=sys.stderr)
        return 1
    from layerwise.playground import server

    return server.serve(host=args.host, port=args.port, open_browser=args.open)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="layerwise", description="The Keras API on PyTorch.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="train the weather lesson's model and compare it with the baseline")
    demo.add_argument("--epochs", type=int, default=200, help="most epochs to train (default 200)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("--plot", default="weather_loss_curves.png",
                      help="where to write the loss curves PNG ('' for none)")
    demo.set_defaults(run=_demo)
    playground = commands.add_parser("playground", help="the TensorFlow-Playground lesson as a local web page")
    playground.add_argument("--host", default="127.0.0.1",
                            help="address to listen on (default 127.0.0.1: this computer only)")
    playground.add_argument("--port", type=int, default=8090, help="port (default 8090; 0 picks a free one)")
    playground.add_argument("--open", action="store_true", help="open the page in the web browser")
    playground.set_defaults(run=_playground)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
