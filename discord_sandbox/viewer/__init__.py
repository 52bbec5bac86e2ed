"""The viewer: a Discord-like page of the world where you click the bot's buttons as any member."""
