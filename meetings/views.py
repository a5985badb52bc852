"""HTTP pages and the join endpoint. Business rules live in rooms.services.meetings."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from uuid import UUID

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from meetings.client_constants import client_constants
from rooms import agreement, extensions, pseudonyms, selectors, state
from rooms.models import InviteLink, Meeting
from rooms.services import agreement as agreement_services
from rooms.services import facilitation, invites
from rooms.services import meetings as services
from signaling import delivery


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("meeting_list")
    return render(request, "home.html")


def invite_links(meeting: Meeting) -> dict[str, str]:
    """The links to share ("" for a link that is off, used, or can no longer be shown).

    The secret goes in the fragment, which browsers never send: it is in no request line,
    so in no access log, and the join page drops it from the address bar and history.
    """
    base = settings.PUBLIC_BASE_URL.rstrip("/")

    def join_url(secret: str) -> str:
        return f"{base}{reverse('join_link')}#{secret}" if secret else ""

    return {
        "peer": join_url(meeting.peer_invite),
        "cofacilitator": join_url(meeting.cofacilitator_invite),
        "facilitator": base + reverse("meeting_room", args=[meeting.id]),
    }


def _link_rows(meeting: Meeting) -> list[dict]:
    """Each invite link as the owner's page shows it: the link, its expiry, its state."""
    links = invite_links(meeting)
    rows = []
    for role, label in (
        (InviteLink.Role.PEER, "Peer invite link"),
        (InviteLink.Role.COFACILITATOR, "Co-facilitator link (share only with a co-facilitator)"),
    ):
        link = meeting.invite_links.filter(role=role, ended_at__isnull=True).first()
        if link is None:
            status = "Turned off. Make a new link to invite again."
        elif link.used_at is not None:
            status = "Used by one person. Make a new link for someone else."
        elif link.expires_at is not None and link.expires_at <= timezone.now():
            status = "Expired. Make a new link to invite again."
        elif not links[role]:
            # made before links were stored hashed, or the server's SECRET_KEY changed
            status = "This link still works but cannot be shown again. Make a new one to copy it."
        elif role == InviteLink.Role.COFACILITATOR:
            status = "Lets one person in, who waits until you confirm them in the meeting."
        else:
            status = ""
        rows.append(
            {"role": role, "label": label, "url": links[role], "link": link, "status": status}
        )
    return rows


LINK_EXPIRY_CHOICES = {"": None, "1": 1, "7": 7, "30": 30}  # days


def _expiry_words(days: int | None) -> str:
    if days is None:
        return "no time limit"
    return "1 day" if days == 1 else f"{days} days"


@login_required
@require_POST
def meeting_link(request: HttpRequest, meeting_id) -> HttpResponse:
    """The owner replaces an invite link (optionally expiring) or turns it off."""
    meeting = _owned_meeting(request, meeting_id)
    role = request.POST.get("role", "")
    days = request.POST.get("expires_in_days", "")
    try:
        if request.POST.get("action") == "turn_off":
            invites.link_turn_off(meeting=meeting, role=role)
        elif days in LINK_EXPIRY_CHOICES:
            expiry = LINK_EXPIRY_CHOICES[days]
            expires_at = timezone.now() + timedelta(days=expiry) if expiry else None
            invites.link_new(meeting=meeting, role=role, expires_at=expires_at)
        else:
            raise state.RoomError("invalid_expiry", "Choose how long the link should work.")
    except state.RoomError as exc:
        return _detail(request, meeting, link_error=exc.message, status=400)
    return redirect("meeting_detail", meeting_id=meeting.id)


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
                muted_on_entry=request.POST.get("muted_on_entry") == "on",
                agreement_text=request.POST.get("agreement", ""),
            )
        except state.RoomError as exc:
            error = exc.message
        else:
            return redirect("meeting_detail", meeting_id=meeting.id)
    parts = selectors.meetings_overview(user=request.user)
    return render(request, "meeting_list.html", {"parts": parts, "error": error})


def _parse_start(value: str) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise state.RoomError("invalid_start", "Use a date and time like 2026-11-24 18:00.")
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _owned_meeting(request: HttpRequest, meeting_id) -> Meeting:
    meeting = get_object_or_404(Meeting, id=meeting_id)
    if not extensions.user_facilitates(meeting, request.user.id):
        raise Http404("No such meeting.")
    return meeting


@login_required
def meeting_detail(request: HttpRequest, meeting_id) -> HttpResponse:
    return _detail(request, _owned_meeting(request, meeting_id))


def _detail(
    request: HttpRequest,
    meeting: Meeting,
    error: str | None = None,
    link_error: str | None = None,
    status: int = 200,
) -> HttpResponse:
    links = invite_links(meeting)
    context = {
        "meeting": meeting,
        "links": links,
        "ended": meeting.ended_at is not None,
        "present": selectors.meeting_present(meeting=meeting),
        "invitation": invitation_text(meeting, links["peer"]),
        "starts_at_value": _input_value(meeting.starts_at),
        "error": error,
        "default_agreement": agreement.effective("", extensions.agreement_default(meeting)),
        "link_rows": _link_rows(meeting),
        "link_error": link_error,
        "expiry_choices": [
            (value, _expiry_words(days)) for value, days in LINK_EXPIRY_CHOICES.items()
        ],
    }
    return render(request, "meeting_detail.html", context, status=status)


def invitation_text(meeting: Meeting, peer_link: str) -> str:
    """A ready-to-paste invitation for peers: what it is, when, the link, what to expect."""
    when = ""
    if meeting.starts_at is not None:
        local = timezone.localtime(meeting.starts_at)
        when = f" on {local:%A} {local.day} {local:%B %Y} at {local:%H:%M} ({settings.TIME_ZONE})"
    lines = [
        f"You're invited to “{meeting.title}”, a peer-support meeting{when}.",
        "",
        f"Join from your browser: {peer_link}",
        "",
        "No account is needed. Use a first name or a nickname, and take part with your camera "
        "and microphone, or by text only.",
    ]
    if meeting.lobby_enabled:
        lines.append("A facilitator will let you in from a short waiting room.")
    return "\n".join(lines)


def _input_value(moment: datetime | None) -> str:
    """A datetime-local input's value, in the server's time zone (as `_parse_start` reads it)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


@login_required
@require_POST
def meeting_edit(request: HttpRequest, meeting_id) -> HttpResponse:
    meeting = _owned_meeting(request, meeting_id)
    try:
        services.meeting_update(
            meeting=meeting,
            title=request.POST.get("title", ""),
            starts_at=_parse_start(request.POST.get("starts_at", "")),
            lobby_enabled=request.POST.get("lobby_enabled") == "on",
            muted_on_entry=request.POST.get("muted_on_entry") == "on",
            agreement_text=request.POST.get("agreement"),  # absent: unchanged
        )
    except state.RoomError as exc:
        return _detail(request, meeting, error=exc.message, status=400)
    return redirect("meeting_detail", meeting_id=meeting.id)


@login_required
@require_POST
def meeting_end(request: HttpRequest, meeting_id) -> HttpResponse:
    """The owner ends the meeting from its page: everyone in it is told, as with meeting.end."""
    meeting = _owned_meeting(request, meeting_id)
    outcome = facilitation.meeting_end(meeting_id=str(meeting.id), owner_id=request.user.id)
    async_to_sync(delivery.deliver)(str(meeting.id), outcome)
    return redirect("meeting_detail", meeting_id=meeting.id)


def _room_page(request: HttpRequest, meeting: Meeting, invite: str, role: str) -> HttpResponse:
    context = {
        "meeting": meeting,
        "invite": invite,
        "role": role,
        "suggested_name": pseudonyms.suggest(),
        "ended": meeting.ended_at is not None,
        "client_constants": client_constants(),
        "agreement_lines": _lines(agreement_services.agreement_text(meeting=meeting)),
        "hosts": extensions.hosts(meeting) or [_person_name(meeting.owner)],
    }
    return render(request, "room.html", context)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _person_name(user) -> str:
    return user.first_name or user.username


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
    try:
        link = invites.invite_find(secret=invite)
    except state.RoomError as exc:
        return _link_refused(request, exc)
    request.session[_invite_key(link.meeting.id)] = invite
    return redirect("join_meeting", meeting_id=link.meeting.id)


def _link_refused(request: HttpRequest, exc: state.RoomError) -> HttpResponse:
    if exc.code == "not_found":
        return render(request, "not_found.html", status=404)
    return render(request, "link_ended.html", {"message": exc.message}, status=410)


def _invite_key(meeting_id) -> str:
    return f"invite:{meeting_id}"


def join_meeting(request: HttpRequest, meeting_id) -> HttpResponse:
    """The room page of a meeting whose invite this browser exchanged (see join_link)."""
    invite = request.session.get(_invite_key(meeting_id), "")
    if not invite:
        return render(request, "not_found.html", status=404)
    try:
        link = invites.invite_find(secret=invite)
    except state.RoomError as exc:
        return _link_refused(request, exc)
    if str(link.meeting.id) != str(meeting_id):
        return render(request, "not_found.html", status=404)
    return _room_page(request, link.meeting, invite=invite, role=link.role)


# A random value per browser, so "may not rejoin" can refuse the same browser. It says
# nothing about the person; the server keeps only its hash, on their participant rows.
DEVICE_COOKIE = "pm_device"
DEVICE_COOKIE_SECONDS = 24 * 3600


def _json_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def _join_throttled(request: HttpRequest) -> bool:
    """Counts this join per address and per browser cookie; True when either is over."""
    device = request.COOKIES.get(DEVICE_COOKIE)
    by_device = bool(device) and is_ratelimited(
        request,
        group="join-device",
        key=lambda _group, _request: device,
        rate=settings.JOIN_RATE_PER_DEVICE,
        increment=True,
    )
    by_address = is_ratelimited(
        request, group="join-address", key="ip", rate=settings.JOIN_RATE_PER_ADDRESS, increment=True
    )
    return by_device or by_address


@require_POST
def api_join(request: HttpRequest) -> JsonResponse:
    if _join_throttled(request):
        return _json_error(
            "too_many_joins",
            "Too many people joined from this network or browser in a short time. "
            "Please wait a minute and try again.",
            429,
        )
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return _json_error("bad_json", "The request was not JSON.", 400)
    if not isinstance(body, dict):
        return _json_error("bad_json", "The request was not a JSON object.", 400)
    invite = body.get("invite") or ""
    link = None
    if invite:
        try:
            link = invites.invite_find(secret=str(invite))
        except state.RoomError as exc:
            return _json_error(exc.code, exc.message, 404 if exc.code == "not_found" else 410)
        meeting, role = link.meeting, link.role
    else:
        meeting = Meeting.objects.filter(id=_uuid_or_none(body.get("meeting_id"))).first()
        if meeting is None or not extensions.user_facilitates(meeting, request.user.id):
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
            link=link,
            knock=body.get("knock") is True,
            # not bool(): only a JSON true accepts the agreement
            agreement_accepted=body.get("agreement_accepted", False),
        )
    except state.RoomError as exc:
        status = (
            403 if exc.code in ("banned", "meeting_locked", "meeting_full", "not_open_yet") else 400
        )
        status = 410 if exc.code == "link_used" else status
        response = _json_error(exc.code, exc.message, status)
        if exc.code == "meeting_locked":
            # a latecomer may knock: the same request with "knock": true waits in the lobby
            body = json.loads(response.content)
            body["error"]["can_knock"] = True
            response = JsonResponse(body, status=status)
        return response
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
