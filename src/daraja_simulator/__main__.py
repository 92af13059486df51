"""`python -m daraja_simulator [--host H] [--port P]`: the simulator, configured by SIM_* variables."""

import argparse

from daraja_simulator.server import run


def main() -> None:
    parser = argparse.ArgumentParser(prog="daraja_simulator", description="Offline Safaricom Daraja simulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    arguments = parser.parse_args()
    run(arguments.host, arguments.port)


if __name__ == "__main__":
    main()
