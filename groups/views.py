"""Pages: the public directory, a group's page, a meeting's page, and the team's editors.

Peers need no account. A private group's pages open only after its passcode (remembered in
the session); unlisted groups are reachable by their link and never listed.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from groups import forms, permissions, reports, schedules, selectors, services
from groups.errors import GroupError
from groups.models import Group, Occurrence, Schedule, Staff, SupportType

UNLOCKED = "groups_unlocked"
# What the new-group form starts with.
NEW_GROUP = {
    "language": "en",
    "time_zone": "Europe/London",
    "duration_minutes": 60,
    "max_attendees": 12,
    "doors_open_minutes": 10,
    "lobby_default": True,
    "muted_on_entry": True,  # as the meetings page: peers come in muted unless changed
}


def _user(request: HttpRequest) -> User:
    """The signed-in account (the views that call this are login_required)."""
    user = request.user
    assert isinstance(user, User)
    return user


def _client(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def viewable(request: HttpRequest, group: Group) -> bool:
    if group.visibility != Group.Visibility.PRIVATE:
        return True
    return str(group.pk) in request.session.get(UNLOCKED, []) or permissions.may_run(
        request.user, group
    )


def directory(request: HttpRequest) -> HttpResponse:
    support_types = SupportType.objects.filter(
        groups__visibility=Group.Visibility.LISTED
    ).distinct()
    chosen_type = request.GET.get("support", "")
    language = request.GET.get("language", "")
    support_id = int(chosen_type) if chosen_type.isdigit() else None
    meetings = selectors.directory(support_type=support_id, language=language)
    return render(
        request,
        "groups/directory.html",
        {
            "meetings": [(o, selectors.doors_open(o)) for o in meetings],
            "support_types": support_types,
            "languages": selectors.directory_languages(),
            "chosen_type": support_id,
            "chosen_language": language,
        },
    )


def _group(group_id: UUID) -> Group:
    return get_object_or_404(
        Group.objects.select_related("organisation", "support_type"), pk=group_id
    )


def _passcode_page(request: HttpRequest, group: Group, next_url: str) -> HttpResponse | None:
    """None when the visitor may see the group; otherwise the passcode form (or its answer)."""
    if viewable(request, group):
        return None
    error = ""
    if request.method == "POST" and "passcode" in request.POST:
        try:
            if services.passcode_check(
                group=group, passcode=request.POST["passcode"], client=_client(request)
            ):
                request.session[UNLOCKED] = [*request.session.get(UNLOCKED, []), str(group.pk)]
                return redirect(next_url)
            error = "That passcode is not right."
        except GroupError as exc:
            error = exc.message
    status = 429 if error.startswith("Too many") else 403 if error else 200
    return render(request, "groups/passcode.html", {"group": group, "error": error}, status=status)


def group_page(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = _group(group_id)
    locked = _passcode_page(request, group, request.path)
    if locked is not None:
        return locked
    upcoming = selectors.upcoming(group)
    return render(
        request,
        "groups/group.html",
        {
            "group": group,
            "team": selectors.team(group),
            "meetings": [(o, selectors.doors_open(o)) for o in upcoming],
            "may_run": permissions.may_run(request.user, group),
            "feed_url": selectors.feed_url(group),
        },
    )


def occurrence_page(request: HttpRequest, occurrence_id: UUID) -> HttpResponse:
    occurrence = get_object_or_404(
        Occurrence.objects.select_related("group", "group__organisation", "meeting"),
        pk=occurrence_id,
    )
    group = occurrence.group
    locked = _passcode_page(request, group, request.path)
    if locked is not None:
        return locked
    opens = selectors.doors_open(occurrence)
    return render(
        request,
        "groups/occurrence.html",
        {
            "group": group,
            "occurrence": occurrence,
            "opens": opens,
            "is_open": timezone.now() >= opens,
            "ended": occurrence.meeting.ended_at is not None,
            # relative: the page is on this site whatever PUBLIC_BASE_URL says
            "invite": selectors.invite_path(occurrence.meeting),
        },
    )


@login_required
def schedule_editor(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = _group(group_id)
    if not permissions.may_run(request.user, group):
        raise Http404("No such group.")
    error = ""
    if request.method == "POST":
        try:
            _schedule_action(request, group)
        except GroupError as exc:
            error = exc.message
        else:
            return redirect("groups:schedule", group_id=group.pk)
    rows = []
    for schedule in group.schedules.prefetch_related("exceptions").order_by("created_at"):
        future = schedule.occurrences.filter(starts_at__gte=timezone.now()).order_by("starts_at")
        rows.append((schedule, list(future[:8]), future.count()))
    return render(
        request,
        "groups/schedule.html",
        {
            "group": group,
            "schedules": rows,
            "error": error,
            "frequencies": Schedule.Frequency.choices,
            "weekdays": list(enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))),
            "post": request.POST if error else {},
            "support_types": group.organisation.support_types.all(),
            "visibilities": Group.Visibility.choices,
            "is_admin": permissions.is_admin(request.user, group.organisation_id),
            "staff": Staff.objects.filter(organisation_id=group.organisation_id).select_related(
                "user"
            ),
            "team_ids": set(group.facilitators.values_list("pk", flat=True)),
        },
        status=400 if error else 200,
    )


def _schedule_action(request: HttpRequest, group: Group) -> None:
    action = request.POST.get("action", "")
    actor = _user(request)
    if action == "add":
        schedules.schedule_add(actor=actor, group=group, **forms.schedule_fields(request.POST))
        return
    if action == "settings":
        fields = forms.group_fields(request.POST)
        fields["support_type"] = _support_type(request, group.organisation)
        fields.setdefault("agreement", group.organisation.default_agreement)
        services.group_update(actor=actor, group=group, **fields)
        return
    if action == "team":
        services.team_set(actor=actor, group=group, facilitators=_team(request))
        return
    schedule = group.schedules.filter(pk=forms.a_number(request.POST.get("schedule", "0"), "#"))
    found = schedule.first()
    if found is None:
        raise GroupError("not_found", "That schedule no longer exists.")
    if action == "skip":
        day = forms.a_date(request.POST.get("date", ""), "Date")
        schedules.date_skip(actor=actor, schedule=found, original_date=day)
    elif action == "move":
        day = forms.a_date(request.POST.get("date", ""), "Date")
        to = forms.a_local_datetime(request.POST.get("moved_to", ""), "New time")
        schedules.date_move(actor=actor, schedule=found, original_date=day, new_local=to)
    elif action == "remove":
        schedules.schedule_remove(actor=actor, schedule=found)
    else:
        raise GroupError("unknown_action", "Unknown action.")


@login_required
@require_POST
def start_now(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = _group(group_id)
    try:
        occurrence = schedules.start_now(actor=_user(request), group=group)
    except GroupError:
        raise Http404("No such group.") from None
    return redirect("meeting_room", meeting_id=occurrence.meeting_id)


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    """The groups this person runs and a one-to-one offer; for admins, a new group form."""
    membership = (
        Staff.objects.filter(user=_user(request)).select_related("organisation").order_by("role")
    ).first()
    org = membership.organisation if membership else None
    is_admin = membership is not None and membership.role == Staff.Role.ADMIN
    error = ""
    if request.method == "POST" and org is not None:
        try:
            if request.POST.get("action") == "one_to_one":
                group = services.one_to_one_offer(
                    actor=_user(request),
                    organisation=org,
                    title=request.POST.get("title", ""),
                    time_zone=request.POST.get("time_zone", "").strip(),
                )
                return redirect("groups:group", group_id=group.pk)
            group = _create_group(request, org)
        except GroupError as exc:
            error = exc.message
        else:
            return redirect("groups:schedule", group_id=group.pk)
    context: dict[str, Any] = {
        "groups": selectors.groups_run_by(_user(request).pk).order_by("title"),
        "organisation": org,
        "is_admin": is_admin,
        "error": error,
        "post": request.POST if error else NEW_GROUP,
    }
    if is_admin and org is not None:
        context["staff"] = Staff.objects.filter(organisation=org).select_related("user")
        context["support_types"] = org.support_types.all()
        context["visibilities"] = Group.Visibility.choices
    return render(request, "groups/manage.html", context, status=400 if error else 200)


@login_required
def report(request: HttpRequest, group_id: UUID) -> HttpResponse:
    """Attendance and mood over time, numbers only, for the team and the admins."""
    group = _group(group_id)
    if not permissions.may_run(request.user, group):
        raise Http404("No such group.")
    rows = reports.meeting_rows([group])
    return render(
        request,
        "groups/report.html",
        {
            "group": group,
            "rows": rows,
            "months": reports.month_rows(rows),
            "may_export": permissions.is_admin(request.user, group.organisation_id),
        },
    )


def _csv(rows: list[reports.MeetingRow], filename: str) -> HttpResponse:
    response = HttpResponse(reports.as_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def report_csv(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = _group(group_id)
    if not permissions.is_admin(request.user, group.organisation_id):
        raise Http404("No such report.")
    return _csv(reports.meeting_rows([group]), "attendance.csv")


@login_required
def organisation_csv(request: HttpRequest) -> HttpResponse:
    membership = Staff.objects.filter(user=_user(request), role=Staff.Role.ADMIN).first()
    if membership is None:
        raise Http404("No such report.")
    groups = Group.objects.filter(organisation_id=membership.organisation_id).order_by("title")
    return _csv(reports.meeting_rows(groups), "attendance.csv")


def _support_type(request: HttpRequest, org: Any) -> SupportType | None:
    support = request.POST.get("support_type", "")
    if not support:
        return None
    found = org.support_types.filter(pk=forms.a_number(support, "Support type")).first()
    if found is None:
        raise GroupError("invalid_support_type", "Choose a support type from the list.")
    return found


def _team(request: HttpRequest) -> list[Any]:
    ids = [forms.a_number(i, "Facilitator") for i in request.POST.getlist("facilitator")]
    team = list(get_user_model().objects.filter(pk__in=ids))
    if len(team) != len(set(ids)):
        raise GroupError("not_staff", "Every facilitator must be on the organisation's staff.")
    return team


def _create_group(request: HttpRequest, org: Any) -> Group:
    fields = forms.group_fields(request.POST)
    support = _support_type(request, org)
    if support is not None:
        fields["support_type"] = support
    return services.group_create(
        actor=_user(request), organisation=org, facilitators=_team(request), **fields
    )


@login_required
def organisation(request: HttpRequest) -> HttpResponse:
    """For an organisation admin: its details, its staff (role and verification), the
    support types groups choose from."""
    membership = (
        Staff.objects.filter(user=_user(request), role=Staff.Role.ADMIN)
        .select_related("organisation")
        .first()
    )
    if membership is None:
        raise Http404("No organisation.")
    org = membership.organisation
    error = ""
    if request.method == "POST":
        try:
            _organisation_action(request, org)
        except GroupError as exc:
            error = exc.message
        else:
            return redirect("groups:organisation")
    return render(
        request,
        "groups/organisation.html",
        {
            "organisation": org,
            "staff": Staff.objects.filter(organisation=org).select_related("user"),
            "roles": Staff.Role.choices,
            "support_types": org.support_types.all(),
            "error": error,
        },
        status=400 if error else 200,
    )


def _account(username: str) -> Any:
    user = get_user_model().objects.filter(username=username.strip()).first()
    if user is None:
        raise GroupError("unknown_user", "There is no account with that username.")
    return user


def _organisation_action(request: HttpRequest, org: Any) -> None:
    action = request.POST.get("action", "")
    post = request.POST
    if action == "details":
        services.organisation_update(
            actor=_user(request),
            organisation=org,
            name=post.get("name", ""),
            description=post.get("description", ""),
            crisis_resources=post.get("crisis_resources", ""),
            default_agreement=post.get("default_agreement", ""),
        )
    elif action == "staff":
        services.staff_set(
            actor=_user(request),
            organisation=org,
            user=_account(post.get("username", "")),
            role=post.get("role", ""),
            verification=post.get("verification", ""),
        )
    elif action == "staff_remove":
        account = _account(post.get("username", ""))
        services.staff_remove(actor=_user(request), organisation=org, user=account)
    elif action == "support_type":
        services.support_type_add(actor=_user(request), organisation=org, name=post.get("name", ""))
    else:
        raise GroupError("unknown_action", "Unknown action.")
