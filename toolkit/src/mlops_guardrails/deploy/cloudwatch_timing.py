"""When a rollback alarm can fire: CloudWatch's publication, ingestion and evaluation timing, one home for the figures.

Sources (each figure's own):
- SageMaker publishes an endpoint's invocation metrics (Invocations, Invocation5XXErrors, ModelLatency, ...)
  once a minute (Developer Guide, monitoring-cloudwatch: "available at a 1-minute frequency").
- A metric alarm with a 10, 20 or 30 s period is evaluated every 10 s; any other period once a minute
  (CloudWatch User Guide, AlarmThatSendsEmail: "If the alarm period is 10 seconds or 30 seconds, the alarm
  is evaluated every 10 seconds"; "plus a few seconds" for the data to arrive).
- Data reach an alarm after an ingestion delay AWS does not bound: an evaluation uses the datapoints that
  have arrived, and later ones change the picture (Knowledge Center, cloudwatch-trigger-metric). The
  default below, one minute, is this project's assumption for a minute's datapoint to be complete and
  ingested; set your own (`--metric-delay`) from your alarms' history (DescribeAlarmHistory).
"""
import math

METRIC_PUBLISH_SECONDS = 60
DEFAULT_INGESTION_DELAY_SECONDS = 60
HIGH_RESOLUTION_PERIODS = (10, 20, 30)
HIGH_RESOLUTION_EVALUATION_SECONDS = 10
STANDARD_EVALUATION_SECONDS = 60


def evaluation_interval(period: int) -> int:
    """How often CloudWatch evaluates an alarm of this period."""
    return HIGH_RESOLUTION_EVALUATION_SECONDS if period in HIGH_RESOLUTION_PERIODS else STANDARD_EVALUATION_SECONDS


def earliest_alarm_seconds(period: int, evaluation_periods: int, delay: float = DEFAULT_INGESTION_DELAY_SECONDS) -> float:
    """Shortest time from a fault's first request to ALARM: the window filled, then ingested. A bake shorter
    than this can never see the alarm fire."""
    return period * evaluation_periods + delay


def latest_alarm_seconds(period: int, evaluation_periods: int, delay: float = DEFAULT_INGESTION_DELAY_SECONDS) -> float:
    """Longest time from a fault's first request to ALARM when every request is bad: the fault may begin just
    after a period boundary (that partial period counts, but it can hold almost nothing; the next whole
    `evaluation_periods` periods surely breach), then the ingestion delay, then up to one evaluation interval."""
    return period * (evaluation_periods + 1) + delay + evaluation_interval(period)


def evaluable_end(now: float, period: float, delay: float) -> float:
    """End of the newest period an evaluation at `now` can judge: whole, published and ingested."""
    return math.floor((now - delay) / period) * period
