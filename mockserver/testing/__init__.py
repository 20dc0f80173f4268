"""Testing handles and the pytest plugin."""
