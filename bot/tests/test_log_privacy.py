"""No conversation id in the assistant's logs (issue 17, finding 6): Rasa's own « Circuit breaker
tripped … for sender '…' » line, logged through the real logging stack of the servers."""

from __future__ import annotations

import logging

from channels import log_privacy


def test_should_write_rasa_circuit_breaker_line_without_the_sender_id(caplog):
    sender = "5f0c2a9e8b7d4c3a2f1e0d9c8b7a6f5e"
    rasa_logger = logging.getLogger("rasa.core.processor")
    with caplog.at_level(logging.WARNING):
        # Rasa's exact format (rasa/core/processor.py), with its f-string already applied
        rasa_logger.warning(f"Circuit breaker tripped. Stopped predicting more actions for sender '{sender}'.")
        rasa_logger.warning("Lock acquired for conversation ID '%s'", sender)
    assert "Circuit breaker tripped" in caplog.text
    assert sender not in caplog.text
    assert caplog.text.count("'…'") == 2


def test_should_leave_other_lines_alone():
    assert log_privacy.redact("Usage of user input: 3 messages") == "Usage of user input: 3 messages"
    assert log_privacy.redact("sender_id=abc-123, other=1") == "sender_id=…, other=1"
