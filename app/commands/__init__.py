"""One module per `convas` subcommand, each exposing ``register(subparsers)``."""
