"""What a meeting keeps: the meeting, its participants, its chat. Never media."""

import base64
import hashlib
import hmac
import secrets
import uuid

from django.conf import settings
from django.db import models


def new_invite_token() -> str:
    return secrets.token_urlsafe(18)


def new_device_salt() -> str:
    return secrets.token_hex(16)


class Meeting(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=120)
    starts_at = models.DateTimeField(null=True, blank=True)
    lobby_enabled = models.BooleanField(default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meetings"
    )
    # Hands are ordered by this counter, not by clock, so two raises never tie.
    hand_counter = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Facilitation: locked = no new peers; the lobby keeps its queue.
    locked = models.BooleanField(default=False)
    allow_self_unmute = models.BooleanField(default=True)
    # Peers come in with their microphone off (they may unmute unless a facilitator muted them).
    muted_on_entry = models.BooleanField(default=True)
    # The ground rules peers accept before entering; "" means the group's, or the default
    # (rooms.agreement.DEFAULT_AGREEMENT).
    agreement = models.TextField(max_length=4000, blank=True, default="")
    breakout_self_select = models.BooleanField(default=False)
    # The breakout timer as deadlines, so any process (or the next event) can act on it.
    breakout_ends_at = models.DateTimeField(null=True, blank=True)
    breakout_warn_at = models.DateTimeField(null=True, blank=True)
    breakout_warned = models.BooleanField(default=False)
    # The running go-round (rooms/goround.py): participant ids and turn times, no names;
    # cleared when it or the meeting ends.
    goround = models.JSONField(null=True, blank=True)
    # Screen sharing (rooms/screenshare.py): who shares and which peers may, ids only.
    screenshare = models.JSONField(null=True, blank=True)
    # Device hashes are keyed with this meeting's own salt, so the same browser gets an
    # unrelated hash in every meeting ("" only for meetings from before the salt existed).
    device_salt = models.CharField(max_length=32, default=new_device_salt)
    # When `manage.py purge` last removed personal data (rooms/services/retention.py).
    purged_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.title

    def current_link(self, role: str) -> str:
        """The working invite secret for `role` ("" when there is none to show)."""
        link = self.invite_links.filter(role=role, ended_at__isnull=True).first()
        return link.plain() if link is not None and link.in_use() else ""

    @property
    def peer_invite(self) -> str:
        return self.current_link(InviteLink.Role.PEER)

    @property
    def cofacilitator_invite(self) -> str:
        return self.current_link(InviteLink.Role.COFACILITATOR)


class InviteLink(models.Model):
    """One invite link of a meeting. The database holds only the hash of its secret.

    The secret is an HMAC of the link's id under SECRET_KEY, so the owner's page can show
    it again while a copy of the database alone cannot rebuild it. A link ends when it is
    replaced (rotation) or turned off; the row stays so that an old link can say which.
    """

    class Role(models.TextChoices):
        PEER = "peer"
        COFACILITATOR = "cofacilitator"

    class End(models.TextChoices):
        REPLACED = "replaced"
        TURNED_OFF = "turned_off"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invite_links")
    role = models.CharField(max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # A co-facilitator link lets one person in: set when someone first joins with it.
    used_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end = models.CharField(max_length=16, choices=End.choices, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["meeting", "role", "ended_at"])]

    def derived_secret(self) -> str:
        key = settings.SECRET_KEY.encode()
        digest = hmac.new(key, f"invite-link:{self.id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode()

    def plain(self) -> str:
        """The secret to put in the link, or "" if it cannot be rebuilt (a link hashed from
        before this scheme, or a changed SECRET_KEY: it still works for whoever has it)."""
        secret = self.derived_secret()
        return secret if invite_digest(secret) == self.token_hash else ""

    def in_use(self) -> bool:
        return self.ended_at is None and self.used_at is None


def invite_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Breakout(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="breakouts")
    name = models.CharField(max_length=40)
    position = models.PositiveIntegerField()
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name


class Participant(models.Model):
    class Role(models.TextChoices):
        FACILITATOR = "facilitator"
        COFACILITATOR = "cofacilitator"
        PEER = "peer"

    class Media(models.TextChoices):
        CAMERA_MIC = "camera_mic"
        TEXT_ONLY = "text_only"

    class Status(models.TextChoices):
        LOBBY = "lobby"
        ADMITTED = "admitted"
        DENIED = "denied"
        LEFT = "left"

    class Connection(models.TextChoices):
        OFFLINE = "offline"
        ONLINE = "online"
        RECONNECTING = "reconnecting"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    display_name = models.CharField(max_length=40)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PEER)
    media = models.CharField(max_length=16, choices=Media.choices, default=Media.TEXT_ONLY)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.LOBBY)
    connection = models.CharField(
        max_length=16, choices=Connection.choices, default=Connection.OFFLINE
    )
    # Only a hash of the bearer token is stored; the token itself lives in the browser.
    token_hash = models.CharField(max_length=64, unique=True)
    hand_raised_seq = models.PositiveIntegerField(null=True, blank=True)
    channel_name = models.CharField(max_length=200, blank=True, default="")
    disconnected_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who turned audio / video off at the relay: "self", "facilitator", or null (on).
    muted_by = models.CharField(max_length=16, null=True, blank=True)
    video_stopped_by = models.CharField(max_length=16, null=True, blank=True)
    asked_audio = models.BooleanField(default=False)
    asked_video = models.BooleanField(default=False)
    breakout = models.ForeignKey(
        Breakout, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    # Removed with "may not rejoin". The browser it joined from is known only by a hash
    # of a random cookie (see services.participant_create): a ban reaches that browser.
    banned = models.BooleanField(default=False)
    device_hash = models.CharField(max_length=64, blank=True, default="")
    # When this participant last began to facilitate (admitted with a facilitating role), or
    # null. A co-facilitator's chat history holds only the private messages to the
    # facilitators sent since then: peers wrote those to the facilitators present at the time.
    facilitates_since = models.DateTimeField(null=True, blank=True)
    # When they accepted the meeting's agreement on the pre-join screen (null: never asked,
    # as for the meeting's own facilitator, who sets it).
    agreement_accepted_at = models.DateTimeField(null=True, blank=True)
    # Knocked on a locked meeting: waits in the lobby marked as a latecomer.
    latecomer = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["meeting", "status"])]

    def __str__(self) -> str:
        return self.display_name


class ChatMessage(models.Model):
    class Audience(models.TextChoices):
        ROOM = "room"
        FACILITATORS = "facilitators"

    class Kind(models.TextChoices):
        TEXT = "text"  # an ordinary chat message
        HELP = "help"  # someone asking the facilitators for help (help.request)

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="chat_messages")
    room = models.CharField(max_length=64, default="main")
    sender = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="chat_messages")
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.ROOM)
    text = models.TextField(max_length=2000)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TEXT)
    sent_at = models.DateTimeField(auto_now_add=True)
    # The sender's own id for the message (chat.send `client_id`): a resend after a dropped
    # socket finds the stored row instead of adding a second one. Null for help requests.
    client_id = models.CharField(max_length=64, null=True, blank=True)
    # A private message (audience "facilitators") in one peer's thread with the facilitator
    # team: that peer and the facilitators see it, nobody else. Null for the facilitators'
    # own notes to each other. Peers never get a thread with another peer.
    thread = models.ForeignKey(
        Participant,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="private_thread_messages",
    )
    # The sender's warning ("mentions self-harm"): readers see the text only once they ask.
    content_note = models.CharField(max_length=60, blank=True, default="")
    # Removed for everyone by a facilitator: the text and note are blanked in the row itself.
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["meeting", "room", "id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "client_id"], name="one_message_per_client_id"
            )
        ]


class CheckinPrompt(models.Model):
    """A check-in question; rooms/checkins.py explains how anonymous answers stay unlinkable.

    Anonymous answers exist only inside `tally` (counters, and free texts in shuffled order):
    there is no per-answer row, so no participant id, timestamp or insertion order to match
    against who was online. `ballot_key` and `ballots` exist only while the prompt is open.
    """

    class Kind(models.TextChoices):
        SCALE = "scale"
        SINGLE = "single"
        MULTIPLE = "multiple"
        TEXT = "text"

    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    class Moment(models.TextChoices):
        CHECK_IN = "check_in"
        CHECK_OUT = "check_out"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="checkin_prompts")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    question = models.CharField(max_length=200)
    options = models.JSONField(default=list)
    anonymous = models.BooleanField(default=True)
    moment = models.CharField(max_length=16, choices=Moment.choices, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    shared = models.BooleanField(default=False)
    tally = models.JSONField(default=dict)
    published = models.JSONField(null=True, blank=True)
    ballot_key = models.BinaryField(null=True, blank=True)
    # Sorted HMAC digests: a set, so no order of arrival.
    ballots = models.JSONField(default=list)
    posted_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["meeting", "status"])]

    def __str__(self) -> str:
        return self.question


class CheckinAnswer(models.Model):
    """One person's answer to a named prompt (anonymous prompts never have these rows)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    prompt = models.ForeignKey(CheckinPrompt, on_delete=models.CASCADE, related_name="answers")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="checkin_answers"
    )
    value = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prompt", "participant"], name="one_answer_per_person")
        ]


class AttentionItem(models.Model):
    """One entry of the facilitators' attention queue: a help request, an "I need support",
    a report or a latecomer's knock. Kept with the meeting, purged with its chat."""

    class Kind(models.TextChoices):
        HELP = "help"
        SUPPORT = "support"
        REPORT = "report"
        KNOCK = "knock"

    class State(models.TextChoices):
        OPEN = "open"
        HANDLED = "handled"
        CANCELLED = "cancelled"  # withdrawn by the person, or a knock that went away

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attention_items")
    seq = models.PositiveIntegerField()  # arrival order within the meeting
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # who asked, knocked or reported
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="attention_items"
    )
    # a report's subject: the participant reported, or the sender of the message reported
    subject = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    message_id = models.PositiveIntegerField(null=True, blank=True)
    message_text = models.TextField(blank=True, default="")
    reason = models.CharField(max_length=24, blank=True, default="")
    note = models.TextField(blank=True, default="")
    breakout_id = models.CharField(max_length=64, blank=True, default="")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    handled_by = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["meeting", "seq"])]
