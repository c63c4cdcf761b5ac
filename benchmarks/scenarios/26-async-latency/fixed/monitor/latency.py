import statistics


async def mean_latency(samples):
    return statistics.mean(samples) if samples else 0.0
