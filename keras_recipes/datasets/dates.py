"""Dates written out by Babel (CLDR data) -> ISO 8601: a translation corpus."""

import datetime

import numpy as np

from keras_recipes import validation

# Babel (CLDR) date formats the source sentences are drawn from.
SOURCE_FORMATS = (
    "full",  # Wednesday, September 27, 2023
    "long",  # September 27, 2023
    "medium",  # Sep 27, 2023
    "short",  # 9/27/23
    "d MMMM y",  # 27 September 2023
    "EEE, MMM d, y",  # Wed, Sep 27, 2023
    "d MMM y",  # 27 Sep 2023
    "EEEE d MMMM y",  # Wednesday 27 September 2023
)
FIRST_DAY = datetime.date(1950, 1, 1)
NUM_DAYS = (datetime.date(2049, 12, 31) - FIRST_DAY).days + 1


def load_dates(
    num_train=10000,
    num_test=1000,
    source_locale="en_US",
    target_locale=None,
    seed=0,
):
    """Loads a seeded parallel corpus of written-out dates and their ISO form.

    Each source sentence is a random date between 1950-01-01 and 2049-12-31
    written by Babel (CLDR locale data, installed with the `babel` package, so
    nothing is downloaded) in one of `SOURCE_FORMATS` for `source_locale`, e.g.
    `"Wednesday, September 27, 2023"` or `"9/27/23"`. The target is the same
    date in ISO 8601 (`"2023-09-27"`) or, with `target_locale`, that locale's
    long format (`"27. September 2023"` for `"de_DE"`). Train and test dates
    are disjoint.

    Args:
        num_train: number of training pairs.
        num_test: number of test pairs.
        source_locale: CLDR locale of the sources.
        target_locale: `None` for ISO 8601 targets, or a CLDR locale.
        seed: sampling seed.

    Returns:
        `((train_sources, train_targets), (test_sources, test_targets))`, lists
        of strings.

    Example:

    >>> (x, y), (x_test, y_test) = load_dates(num_train=3, num_test=2, seed=1)
    >>> len(x), len(x_test), len(y[0])
    (3, 2, 10)
    """
    from babel.dates import format_date

    num_train = validation.check_int("num_train", num_train, minimum=1)
    num_test = validation.check_int("num_test", num_test, minimum=0)
    if num_train + num_test > NUM_DAYS:
        raise ValueError(
            f"`num_train` + `num_test` must be <= {NUM_DAYS} (distinct dates). "
            f"Received: num_train={num_train}, num_test={num_test}"
        )
    rng = np.random.default_rng(seed)
    days = rng.choice(NUM_DAYS, size=num_train + num_test, replace=False)
    formats = rng.integers(0, len(SOURCE_FORMATS), size=len(days))
    sources, targets = [], []
    for day, fmt in zip(days, formats):
        date = FIRST_DAY + datetime.timedelta(days=int(day))
        sources.append(
            format_date(date, SOURCE_FORMATS[int(fmt)], locale=source_locale)
        )
        if target_locale is None:
            targets.append(date.isoformat())
        else:
            targets.append(format_date(date, "long", locale=target_locale))
    train = (sources[:num_train], targets[:num_train])
    test = (sources[num_train:], targets[num_train:])
    return train, test
