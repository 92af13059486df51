import httpx


def json_object(response: httpx.Response) -> dict[str, object]:
    """Daraja's body as a dict, or {} when it is not a JSON object (proxies and outages answer HTML)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
