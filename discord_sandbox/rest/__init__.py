"""Discord REST API v10 as the bot uses it, with faults, rate limits and the call log."""
