"""Interactions: control API requests turned into INTERACTION_CREATE, and the bot's answers to them."""
