"""/deadlines: per-municipality question deadlines and time zone, set by the municipality's
coordinator or the region's admin, refused to everyone else, and used by the sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import MunicipalitySettingsCb
from bot.services import municipality_settings as service
from storage.models import Delivery, Municipality, Role
from tests import seed
from tests.harness import Harness
from tests.test_questions import COORDINATOR as QUESTIONS_COORDINATOR
from tests.test_questions import TEACHER, TUTOR, arrange, threads

COORDINATOR = 5101
OTHER_COORDINATOR = 5102
ADMIN = 5103
TEACHER_ID = 5104
SWEEP = "bot.scheduler.questions:sweep"


@dataclass
class Region:
    """Ids, not objects: the objects expire whenever a test rereads what the bot changed."""

    mun: int
    other: int


async def arrange_region(db: AsyncSession) -> Region:
    """Two municipalities of one region, each with a coordinator; the region's admin; a teacher."""
    mun, school, _ = await seed.place(db)
    other = Municipality(region_id=mun.region_id, name="Кировский муниципальный округ")
    db.add(other)
    await db.flush()
    await seed.person(
        db,
        name="Сидорова Ольга Викторовна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=COORDINATOR,
    )
    await seed.person(
        db,
        name="Белова Ирина Викторовна",
        roles=[Role.COORDINATOR],
        municipality=other,
        telegram_id=OTHER_COORDINATOR,
    )
    await seed.person(
        db, name="Админова Алла Андреевна", roles=[Role.ADMIN], municipality=mun, telegram_id=ADMIN
    )
    await seed.person(
        db,
        name="Иванова Мария Петровна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=school,
        telegram_id=TEACHER_ID,
    )
    await db.commit()
    return Region(mun.id, other.id)


async def reread(db: AsyncSession, municipality_id: int) -> Municipality:
    db.expire_all()
    return (await db.scalars(select(Municipality).where(Municipality.id == municipality_id))).one()


def crafted(action: str, municipality_id: int, value: str = "") -> str:
    return MunicipalitySettingsCb(
        action=action, municipality_id=municipality_id, value=value
    ).pack()


async def test_coordinator_sets_remind_and_escalate_hours(
    harness: Harness, db: AsyncSession
) -> None:
    region = await arrange_region(db)
    await harness.send(COORDINATOR, "/deadlines")
    screen = harness.last_text(COORDINATOR)
    assert "Грачёвский муниципальный округ" in screen
    assert "Напоминание наставнику: через <b>24 ч</b> без ответа (по умолчанию)" in screen
    assert "Сигнал координатору: через <b>48 ч</b> без ответа (по умолчанию)" in screen
    assert "Москва (UTC+3)</b> (по умолчанию)" in screen

    await harness.press(COORDINATOR, "Напоминание наставнику")
    assert "от 1 до 720" in harness.last_text(COORDINATOR)
    await harness.send(COORDINATOR, "12")
    await harness.press(COORDINATOR, "Сигнал координатору")
    await harness.send(COORDINATOR, "36")

    screen = harness.last_text(COORDINATOR)
    assert "Напоминание наставнику: через <b>12 ч</b> без ответа (по умолчанию — 24 ч)" in screen
    assert "Сигнал координатору: через <b>36 ч</b> без ответа (по умолчанию — 48 ч)" in screen
    assert "часы не идут" not in screen  # quiet hours are off in tests
    mun = await reread(db, region.mun)
    assert (mun.sla_remind_hours, mun.sla_escalate_hours) == (12, 36)
    assert mun.thread_autoclose_days is None


async def test_escalate_must_come_after_remind(harness: Harness, db: AsyncSession) -> None:
    region = await arrange_region(db)
    await harness.send(COORDINATOR, "/deadlines")
    await harness.press(COORDINATOR, "Напоминание наставнику")
    await harness.send(COORDINATOR, "50")
    assert "раньше сигнала координатору (48 ч)" in harness.last_text(COORDINATOR)
    await harness.send(COORDINATOR, "12")

    await harness.press(COORDINATOR, "Сигнал координатору")
    await harness.send(COORDINATOR, "10")
    assert "Напишите число больше 12" in harness.last_text(COORDINATOR)
    await harness.send(COORDINATOR, "12")
    assert "Напишите число больше 12" in harness.last_text(COORDINATOR)

    mun = await reread(db, region.mun)
    assert (mun.sla_remind_hours, mun.sla_escalate_hours) == (12, None)


async def test_not_a_number_and_out_of_range_are_refused(
    harness: Harness, db: AsyncSession
) -> None:
    region = await arrange_region(db)
    await harness.send(COORDINATOR, "/deadlines")
    await harness.press(COORDINATOR, "Напоминание наставнику")
    for typed, expected in [
        ("abc", "целым числом часов"),
        ("12.5", "целым числом часов"),
        ("0", "от 1 до 720 ч"),
        ("10000", "от 1 до 720 ч"),
    ]:
        await harness.send(COORDINATOR, typed)
        assert expected in harness.last_text(COORDINATOR), typed
    assert (await reread(db, region.mun)).sla_remind_hours is None

    await harness.press(COORDINATOR, "Автозакрытие")
    await harness.send(COORDINATOR, "366")
    assert "от 1 до 365 дн." in harness.last_text(COORDINATOR)
    await harness.send(COORDINATOR, "10")
    assert "через <b>10 дн.</b> без новых сообщений (по умолчанию — 7 дн.)" in harness.last_text(
        COORDINATOR
    )
    mun = await reread(db, region.mun)
    assert (mun.sla_remind_hours, mun.thread_autoclose_days) == (None, 10)


async def test_reset_returns_the_defaults_and_keeps_the_zone(
    harness: Harness, db: AsyncSession
) -> None:
    region = await arrange_region(db)
    mun = await reread(db, region.mun)
    mun.sla_remind_hours = 6
    mun.sla_escalate_hours = 12
    mun.thread_autoclose_days = 3
    mun.timezone = "Asia/Irkutsk"
    await db.commit()

    await harness.send(COORDINATOR, "/deadlines")
    assert "Иркутск (UTC+8)</b>\n" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "Сбросить к значениям по умолчанию")

    assert "24 ч</b> без ответа (по умолчанию)" in harness.last_text(COORDINATOR)
    mun = await reread(db, region.mun)
    assert (mun.sla_remind_hours, mun.sla_escalate_hours, mun.thread_autoclose_days) == (
        None,
        None,
        None,
    )
    assert mun.timezone == "Asia/Irkutsk"


async def test_admin_sets_the_zone_of_a_municipality_of_their_region(
    harness: Harness, db: AsyncSession
) -> None:
    region = await arrange_region(db)
    await harness.send(ADMIN, "/municipalities")
    await harness.press(ADMIN, "Сроки ответа")
    assert harness.buttons(ADMIN) == [
        "Грачёвский муниципальный округ",
        "Кировский муниципальный округ",
    ]
    await harness.press(ADMIN, "Кировский")
    assert "Кировский муниципальный округ" in harness.last_text(ADMIN)

    await harness.press(ADMIN, "Часовой пояс")
    assert "Новосибирск (UTC+7)" in harness.buttons(ADMIN)
    await harness.press(ADMIN, "Новосибирск")
    assert "Новосибирск (UTC+7)</b>\n" in harness.last_text(ADMIN)
    assert (await reread(db, region.other)).timezone == "Asia/Novosibirsk"

    await harness.press(ADMIN, "Часовой пояс")
    await harness.send(ADMIN, "Mars/Olympus")
    assert "Такого часового пояса я не знаю" in harness.last_text(ADMIN)
    await harness.send(ADMIN, "asia/chita")
    assert "Asia/Chita</b>\n" in harness.last_text(ADMIN)
    assert (await reread(db, region.other)).timezone == "Asia/Chita"

    await harness.press(ADMIN, "Часовой пояс")
    assert "По умолчанию для бота: Москва (UTC+3)" in harness.buttons(ADMIN)
    await harness.press(ADMIN, "По умолчанию для бота")
    assert (await reread(db, region.other)).timezone is None
    assert (await reread(db, region.mun)).timezone is None


async def test_coordinator_of_another_municipality_is_refused(
    harness: Harness, db: AsyncSession
) -> None:
    region = await arrange_region(db)
    await harness.send(OTHER_COORDINATOR, "/deadlines")
    assert "Кировский муниципальный округ" in harness.last_text(OTHER_COORDINATOR)

    await harness.callback(OTHER_COORDINATOR, crafted("zone", region.mun, "Asia/Omsk"))
    assert "Этот муниципалитет вам недоступен" in harness.last_text(OTHER_COORDINATOR)
    await harness.callback(OTHER_COORDINATOR, crafted("reset", region.mun))
    await harness.callback(OTHER_COORDINATOR, crafted("ask", region.mun, "remind"))
    assert "Этот муниципалитет вам недоступен" in harness.last_text(OTHER_COORDINATOR)
    await harness.send(OTHER_COORDINATOR, "5")
    await harness.callback(OTHER_COORDINATOR, crafted("ask", region.other, "bogus"))
    assert "Эта кнопка устарела" in harness.last_text(OTHER_COORDINATOR)
    await harness.callback(COORDINATOR, crafted("show", 999_999))
    assert "Этот муниципалитет вам недоступен" in harness.last_text(COORDINATOR)

    mun = await reread(db, region.mun)
    assert mun.timezone is None and mun.sla_remind_hours is None


async def test_a_teacher_gets_nothing(harness: Harness, db: AsyncSession) -> None:
    region = await arrange_region(db)
    await harness.send(TEACHER_ID, "/deadlines")
    assert "Сроки ответа" not in " ".join(harness.texts_to(TEACHER_ID))
    assert not any("Напоминание наставнику" in b for b in harness.buttons(TEACHER_ID))

    await harness.callback(TEACHER_ID, crafted("zone", region.mun, "Asia/Omsk"))
    await harness.callback(TEACHER_ID, crafted("reset", region.mun))
    assert (await reread(db, region.mun)).timezone is None


async def test_the_sweep_uses_the_municipality_remind_hours(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    await harness.send(TEACHER, "/ask")
    await harness.send(TEACHER, "Как оценивать устные ответы по новым критериям?")
    [thread] = await threads(db)
    thread.waiting_since = datetime.now(UTC) - timedelta(hours=13)
    await db.commit()

    # The default (24 daytime hours; quiet hours are off in tests) is not reached yet.
    await harness.run_job(SWEEP)
    db.expire_all()
    reminders = select(Delivery).where(Delivery.kind == "thread_remind")
    assert (await db.scalars(reminders)).all() == []

    await harness.send(QUESTIONS_COORDINATOR, "/deadlines")
    await harness.press(QUESTIONS_COORDINATOR, "Напоминание наставнику")
    await harness.send(QUESTIONS_COORDINATOR, "12")
    await harness.run_job(SWEEP)

    db.expire_all()
    assert len((await db.scalars(reminders)).all()) == 1
    [reminded] = await threads(db)
    assert reminded.reminded_at is not None
    harness.clear()
    await harness.deliver()
    assert "ждёт ответа уже 13 ч" in harness.last_text(TUTOR)


async def test_the_screen_names_the_night_and_speaks_english(harness: Harness) -> None:
    templates = harness.dp["templates"]
    settings = harness.dp["settings"].model_copy(
        update={"quiet_hours_start": time(21, 0), "quiet_hours_end": time(8, 0)}
    )
    mun = Municipality(id=1, region_id=1, name="Kirov district", sla_remind_hours=12)
    with harness.dp["texts"].context():
        ru = templates.render(
            "municipality_settings.html",
            "ru",
            view=service.view(mun, settings),
            zone="Москва (UTC+3)",
            quiet=service.quiet_hours(settings),
        )
        en = templates.render(
            "municipality_settings.html",
            "en",
            view=service.view(mun, settings),
            zone="Moscow (UTC+3)",
            quiet=service.quiet_hours(settings),
        )
    assert "с 21:00 до 08:00 по местному времени часы не идут" in ru
    assert "after <b>12 h</b> without an answer (default: 24 h)" in en
    assert "from 21:00 to 08:00 local time the clock stops" in en
