"""The local host's queue trigger: host.json options, the QueueMessage the worker builds, indexing."""

from __future__ import annotations

import datetime

import azure.functions as func

from functions_host.functions import QUEUE_TRIGGER, QueueSpec, index_app
from functions_host.queues import QueueOptions, make_queue_message, read_queue_options


def test_queue_options_default_like_the_storage_queues_extension() -> None:
    assert read_queue_options(None) == QueueOptions(
        max_polling_seconds=60.0,
        visibility_timeout_seconds=0.0,
        batch_size=16,
        max_dequeue_count=5,
        base64=True,
        function_timeout_seconds=600,
    )


def test_queue_options_come_from_host_json() -> None:
    host_json = {
        "functionTimeout": "00:05:00",
        "extensions": {
            "queues": {
                "maxPollingInterval": "00:00:02",
                "visibilityTimeout": "00:00:05",
                "batchSize": 4,
                "maxDequeueCount": 2,
                "messageEncoding": "none",
            }
        },
    }

    assert read_queue_options(host_json) == QueueOptions(2.0, 5.0, 4, 2, False, 300)


def test_the_queue_message_carries_the_body_and_the_trigger_metadata() -> None:
    inserted = datetime.datetime(2026, 11, 27, 14, 0, tzinfo=datetime.UTC)

    message = make_queue_message(b'{"a": 1}', message_id="m-1", dequeue_count=3, inserted_on=inserted, pop_receipt="r")

    assert message.get_body() == b'{"a": 1}'
    assert message.get_json() == {"a": 1}
    assert (message.id, message.dequeue_count, message.pop_receipt) == ("m-1", 3, "r")
    assert message.insertion_time == inserted


def test_a_queue_trigger_is_indexed_with_its_queue_name_resolved_from_app_settings() -> None:
    app = func.FunctionApp()

    @app.function_name("work")
    @app.queue_trigger(arg_name="message", queue_name="%WORK_QUEUE%", connection="Storage")
    async def work(message: func.QueueMessage) -> None:
        del message

    [spec] = index_app(app, environ={"WORK_QUEUE": "Work-Items"})

    assert (spec.trigger_type, spec.queue) == (QUEUE_TRIGGER, QueueSpec("work-items", "Storage"))
    assert spec.describe()["queueName"] == "work-items"
