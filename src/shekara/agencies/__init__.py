"""Countries, member countries and agencies."""
