__version__ = "0.1.0"

# Commands that run for hours keep the cyclic garbage collector and a normal exit; every
# other command is one-shot (bot.__main__, bot.cli.run).
LONG_RUNNING = ("serve", "setup")
