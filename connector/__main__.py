from connector.cli.main import run

run()
