"""The web panel and HTTP API, served by the daemon with aiohttp and python-socketio."""
