"""Run every benchmark in turn: ``python -m benchmarks`` (or ``make bench``)."""

import asyncio

from benchmarks import capacity, clicks, dm_rate, queue_latency, queue_scale, reads, reminders, startup

if __name__ == "__main__":
    asyncio.run(queue_latency.main())
    queue_scale.main([])
    startup.main()
    clicks.main([])
    reminders.main([])
    dm_rate.main([])
    reads.main([])
    capacity.main([])
