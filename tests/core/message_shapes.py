"""What a client frame is made of, for the decoder's fuzzers (the hypothesis tests in
test_messages_fuzz.py and the atheris harness in fuzz/fuzz_messages.py)."""

# Every client message type.
CLIENT_TYPES = [
    "hello",
    "consent",
    "events",
    "end",
    "guide",
    "chat",
    "control",
    "act",
    "act_result",
    "offer_answer",
]
# Every field name of a client message (and of the objects inside one), so that
# generated frames reach the checks past the envelope.
FIELDS = [
    "token",
    "allow",
    "events",
    "kind",
    "target",
    "points",
    "id",
    "text",
    "action",
    "ref",
    "value",
    "dx",
    "dy",
    "ok",
    "reason",
    "file_id",
    "accept",
    "x",
    "y",
    "type",
    "timestamp",
]
