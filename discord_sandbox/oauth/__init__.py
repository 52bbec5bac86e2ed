"""OAuth2: Discord's authorization-code flow, the token endpoint and the bearer endpoints."""
