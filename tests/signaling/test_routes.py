"""The route table covers the whole client protocol, and each row builds valid keywords."""

import inspect

from signaling import protocol as p
from signaling import routes


def test_every_client_message_has_a_route():
    missing = [m.__name__ for m in p._CLIENT_MODELS if m not in routes.ROUTES]
    assert missing == []


def test_every_route_is_a_service_or_a_handler():
    for message_type, route in routes.ROUTES.items():
        assert (route.service is None) == (route.kwargs is None), message_type
        assert (route.service is None) != (route.handler is None), message_type


def test_service_routes_take_keyword_only_arguments():
    for message_type, route in routes.ROUTES.items():
        if route.service is None:
            continue
        params = inspect.signature(route.service).parameters.values()
        assert all(param.kind is param.KEYWORD_ONLY for param in params), message_type
