def only_platform_api(endpoints):
    """drf-spectacular hook: document the endpoints under /api/ only."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]
