"""The live world: the state plus the gateway; every change dispatches the events the bot would see."""
