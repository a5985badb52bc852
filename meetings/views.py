"""HTTP pages and the join endpoint. Business rules live in rooms.services.meetings."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from meetings.client_constants import client_constants
from rooms import pseudonyms, selectors, state
from rooms.models import Meeting
from rooms.services import meetings as services


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("meeting_list")
    return render(request, "home.html")


def invite_links(meeting: Meeting) -> dict[str, str]:
    # The secret goes in the fragment, which browsers never send: it is in no request line,
    # so in no access log, and the join page drops it from the address bar and history.
    base = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("join_link")
    return {
        "peer": f"{base}#{meeting.peer_invite}",
        "cofacilitator": f"{base}#{meeting.cofacilitator_invite}",
        "facilitator": base + reverse("meeting_room", args=[meeting.id]),
    }


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    error = None
    if request.method == "POST":
        try:
            starts_at = _parse_start(request.POST.get("starts_at", ""))
            meeting = services.meeting_create(
                owner=request.user,
                title=request.POST.get("title", ""),
                starts_at=starts_at,
                lobby_enabled=request.POST.get("lobby_enabled") == "on",
            )
        except state.RoomError as exc:
            error = exc.message
        else:
            return redirect("meeting_detail", meeting_id=meeting.id)
    meetings = selectors.meetings_owned(user=request.user)
    return render(request, "meeting_list.html", {"meetings": meetings, "error": error})


def _parse_start(value: str) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise state.RoomError("invalid_start", "Use a date and time like 2026-11-24 18:00.")
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _owned_meeting(request: HttpRequest, meeting_id) -> Meeting:
    meeting = get_object_or_404(Meeting, id=meeting_id)
    if meeting.owner_id != request.user.id:
        raise Http404("No such meeting.")
    return meeting


@login_required
def meeting_detail(request: HttpRequest, meeting_id) -> HttpResponse:
    meeting = _owned_meeting(request, meeting_id)
    return render(
        request, "meeting_detail.html", {"meeting": meeting, "links": invite_links(meeting)}
    )


def _room_page(request: HttpRequest, meeting: Meeting, invite: str, role: str) -> HttpResponse:
    context = {
        "meeting": meeting,
        "invite": invite,
        "role": role,
        "suggested_name": pseudonyms.suggest(),
        "ended": meeting.ended_at is not None,
        "client_constants": client_constants(),
    }
    return render(request, "room.html", context)


@login_required
def meeting_room(request: HttpRequest, meeting_id) -> HttpResponse:
    meeting = _owned_meeting(request, meeting_id)
    return _room_page(request, meeting, invite="", role=state.FACILITATOR)


def join_link(request: HttpRequest) -> HttpResponse:
    """GET: the page an invite link opens; its script posts the fragment's secret back here.
    POST: the secret, exchanged for this browser's session, then a URL that holds none."""
    if request.method != "POST":
        return render(request, "join_link.html")
    return _exchange_invite(request, request.POST.get("invite", ""))


def join(request: HttpRequest, invite: str) -> HttpResponse:
    """An old-style link with the secret in the path: exchanged the same way."""
    return _exchange_invite(request, invite)


def _exchange_invite(request: HttpRequest, invite: str) -> HttpResponse:
    found = selectors.meeting_by_invite(invite=invite)
    if found is None:
        return render(request, "not_found.html", status=404)
    meeting, _role = found
    request.session[_invite_key(meeting.id)] = invite
    return redirect("join_meeting", meeting_id=meeting.id)


def _invite_key(meeting_id) -> str:
    return f"invite:{meeting_id}"


def join_meeting(request: HttpRequest, meeting_id) -> HttpResponse:
    invite = request.session.get(_invite_key(meeting_id), "")
    found = selectors.meeting_by_invite(invite=invite) if invite else None
    if found is None or str(found[0].id) != str(meeting_id):
        return render(request, "not_found.html", status=404)
    meeting, role = found
    return _room_page(request, meeting, invite=invite, role=role)


# A random value per browser, so "may not rejoin" can refuse the same browser. It says
# nothing about the person; the server keeps only its hash, on their participant rows.
DEVICE_COOKIE = "pm_device"
DEVICE_COOKIE_SECONDS = 24 * 3600


def _json_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


@require_POST
def api_join(request: HttpRequest) -> JsonResponse:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return _json_error("bad_json", "The request was not JSON.", 400)
    if not isinstance(body, dict):
        return _json_error("bad_json", "The request was not a JSON object.", 400)
    invite = body.get("invite") or ""
    if invite:
        found = selectors.meeting_by_invite(invite=str(invite))
        if found is None:
            return _json_error("not_found", "This invite link is not valid.", 404)
        meeting, role = found
    else:
        meeting = Meeting.objects.filter(id=_uuid_or_none(body.get("meeting_id"))).first()
        if meeting is None or meeting.owner_id != request.user.id:
            return _json_error("not_found", "This meeting does not exist.", 404)
        role = state.FACILITATOR
    device = request.COOKIES.get(DEVICE_COOKIE) or secrets.token_urlsafe(18)
    try:
        participant, token = services.participant_create(
            meeting=meeting,
            # not str(): a name that is not text is refused, not coerced
            display_name=body.get("display_name", ""),
            media=str(body.get("media", "")),
            role=role,
            device=device[:64],
        )
    except state.RoomError as exc:
        status = 403 if exc.code in ("banned", "meeting_locked") else 400
        return _json_error(exc.code, exc.message, status)
    response = JsonResponse(
        {
            "meeting_id": str(meeting.id),
            "participant_id": str(participant.id),
            "token": token,
            "role": participant.role,
            "status": participant.status,
        },
        status=201,
    )
    response.set_cookie(
        DEVICE_COOKIE,
        device,
        max_age=DEVICE_COOKIE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def _uuid_or_none(value) -> str | None:
    try:
        return str(UUID(str(value)))
    except ValueError:
        return None
