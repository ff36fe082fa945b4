"""OAuth 2.0 authorization server, scopes and permission checks, token and key management."""
