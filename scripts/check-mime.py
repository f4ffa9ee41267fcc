#!/usr/bin/env python3
"""Parses each .eml file given (or stdin) with Python's email package in strict mode and prints
one JSON object per message: headers, the decoded subject, and each text part's content type
and decoded body. Exits 1 when a message has defects. Used by the mail tests."""
import email
import email.policy
import json
import sys


def describe(raw):
    message = email.message_from_bytes(raw, policy=email.policy.strict)
    parts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append({"type": part.get_content_type(), "body": part.get_content(),
                          "encoding": part.get("Content-Transfer-Encoding", "")})
    lines = raw.split(b"\r\n")
    return {
        "subject": str(message["Subject"]),
        "from": str(message["From"]),
        "to": str(message["To"]),
        "messageID": str(message["Message-ID"]),
        "date": str(message["Date"]),
        "headers": {name: str(value) for name, value in message.items()},
        "multipart": message.is_multipart(),
        "parts": parts,
        "defects": [str(defect) for defect in message.defects],
        "longestLine": max(len(line) for line in lines),
        "bareLF": b"\n" in raw.replace(b"\r\n", b""),
    }


def main():
    sources = sys.argv[1:]
    raws = [open(path, "rb").read() for path in sources] if sources else [sys.stdin.buffer.read()]
    failed = False
    for raw in raws:
        try:
            result = describe(raw)
        except Exception as error:  # strict policy raises on malformed headers
            result = {"error": str(error)}
            failed = True
        failed = failed or bool(result.get("defects"))
        print(json.dumps(result))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
