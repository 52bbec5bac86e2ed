"""Run every benchmark in turn: ``python -m benchmarks`` (or ``make bench``)."""

import asyncio

from benchmarks import clicks, queue_latency, reads, reminders, startup

if __name__ == "__main__":
    asyncio.run(queue_latency.main())
    startup.main()
    clicks.main([])
    reminders.main([])
    reads.main([])
