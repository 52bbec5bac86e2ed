"""The Discord gateway: websocket sessions, compression, intents and event payloads."""
