"""The ``layerwise`` command line.

``layerwise demo`` runs the weather lesson end to end (see ``layerwise.demo``):
89 weather features in, tomorrow's sunshine hours in Basel out, trained with
early stopping and compared with the "tomorrow = today" baseline.
"""

import argparse
import sys


def _demo(args):
    from layerwise import demo

    demo.run(epochs=args.epochs, seed=args.seed, plot_path=args.plot or None)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="layerwise", description="The Keras API on PyTorch.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="train the weather lesson's model and compare it with the baseline")
    demo.add_argument("--epochs", type=int, default=200, help="most epochs to train (default 200)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("--plot", default="weather_loss_curves.png",
                      help="where to write the loss curves PNG ('' for none)")
    demo.set_defaults(run=_demo)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
