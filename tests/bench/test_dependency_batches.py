"""bench/dependency_batches.py compares what it says it compares: a handler whose seven dependencies Litestar
resolves as one batch, and one with a single dependency, both answering."""

from litestar.routes import HTTPRoute

from bench.dependency_batches import build_app, cpu_per_request


async def test_the_reproduction_resolves_seven_dependencies_in_one_batch_against_one() -> None:
    app = build_app()
    batches = {
        route.path: [
            len(batch) for _, kwargs in route.route_handler_map.values() for batch in kwargs.dependency_batches
        ]
        for route in app.routes
        if isinstance(route, HTTPRoute) and route.path in ("/seven", "/one")
    }

    assert batches == {"/seven": [7], "/one": [1]}
    assert await cpu_per_request(app, "/seven", requests=20) > 0  # its warm-up asserts every request answers 200
