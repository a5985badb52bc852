"""The live status page and its JSON, for organisation admins and the service's staff.

Anyone not signed in (a peer from an invite link has no account) is sent to sign in; a
signed-in account that is neither staff nor an organisation admin gets 403. The JSON answers
403 to both: the page's script only needs to say it could not refresh.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from ops import status


@never_cache
def status_page(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    scope = status.scope_of(request.user)
    if scope is None:
        return render(request, "ops/refused.html", status=403)
    figures = status.status(scope)
    return render(request, "ops/status.html", {"figures": figures, "everything": scope.everything})


@never_cache
def status_json(request: HttpRequest) -> HttpResponse:
    scope = status.scope_of(request.user)
    if scope is None:
        return JsonResponse({"error": "forbidden"}, status=403)
    return JsonResponse(status.status(scope))
