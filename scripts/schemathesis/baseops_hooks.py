"""Schemathesis hooks for baseops: make the generated requests behave like a correct client
where the document cannot say how (scripts/schemathesis.sh loads this module).

- An Idempotency-Key is unique per request, as the API asks: a fuzzer that reuses "0" for
  different requests is rightly refused with 422 idempotency_key_reused.
- A cursor comes from a previous page; an invented one is rightly 400 invalid_cursor.
- Last-Event-ID names a notification the client received; an invented one is rightly 400.
"""

import uuid

import schemathesis


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if case.headers:
        for name in list(case.headers):
            lowered = name.lower()
            if lowered == "idempotency-key":
                case.headers[name] = str(uuid.uuid4())
            elif lowered == "last-event-id":
                del case.headers[name]
    if case.query and "cursor" in case.query:
        del case.query["cursor"]
