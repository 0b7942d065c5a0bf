"""`nastavnik demo-data`: a demo municipality built from the Grachevka seed, safe to run twice.

The places and communities are real names from the seeds (see `about` in the scenario file);
the people are made up. Demo people are recognised by their phone, so a second run finds
everything in place and changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.invites import create_invite
from bot.texts import LOCALES_DIR, Templates
from config.settings import Settings
from storage.models import (
    Community,
    Municipality,
    Person,
    PersonRole,
    PersonSubject,
    Role,
    School,
    TutorAssignment,
)
from storage.repositories.communities import CommunitiesRepo
from storage.repositories.people import PeopleRepo
from storage.repositories.places import PlacesRepo

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "demo_grachevka.json"


def load_scenario(path: Path = SCENARIO) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class DemoLink:
    name: str
    role: Role
    code: str


@dataclass
class DemoResult:
    region: str
    municipality: str
    created: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("municipalities", "schools", "people", "assignments", "communities", "members"), 0
        )
    )
    links: list[DemoLink] = field(default_factory=list)
    expires: str = ""

    @property
    def changed(self) -> bool:
        return any(self.created.values())


class _Builder:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.places = PlacesRepo(session)
        self.people = PeopleRepo(session)
        self.communities = CommunitiesRepo(session)
        self.today = datetime.now(settings.tz).date()

    async def municipality(self, region_id: int, name: str, result: DemoResult) -> Municipality:
        found = await self.places.municipality_by_folded_name(region_id, name)
        if found is not None:
            return found
        municipality = Municipality(region_id=region_id, name=name)
        await self.places.add(municipality)
        result.created["municipalities"] += 1
        return municipality

    async def school(
        self, municipality_id: int, spec: dict[str, Any], result: DemoResult
    ) -> School:
        found = await self.places.school_by_folded_name(municipality_id, spec["name"])
        if found is not None:
            return found
        school = School(
            municipality_id=municipality_id,
            name=spec["name"],
            short_name=spec.get("short_name"),
            low_results=bool(spec.get("low_results")),
            unfavourable_conditions=bool(spec.get("unfavourable_conditions")),
            is_leader=bool(spec.get("is_leader")),
        )
        await self.places.add(school)
        result.created["schools"] += 1
        return school

    async def person(
        self,
        spec: dict[str, Any],
        roles: list[Role],
        municipality: Municipality,
        school: School | None,
        result: DemoResult,
    ) -> tuple[Person, bool]:
        found = await self.people.by_phone(spec["phone"])
        if found is not None:
            return found, False
        person = await self.people.add(
            Person(
                full_name=spec["name"],
                phone=spec["phone"],
                municipality_id=municipality.id,
                school_id=school.id if school else None,
                roles=[
                    PersonRole(
                        role=role,
                        municipality_id=municipality.id if role == Role.COORDINATOR else None,
                    )
                    for role in roles
                ],
                subjects=[PersonSubject(subject=s) for s in spec.get("subjects", [])],
            )
        )
        result.created["people"] += 1
        return person, True

    async def invite(self, person: Person, role: Role, result: DemoResult) -> None:
        assert person.municipality_id is not None
        new = await create_invite(
            self.session,
            created_by=None,
            role=role,
            municipality_id=person.municipality_id,
            ttl=timedelta(days=self.settings.invite_ttl_days),
            person=person,
        )
        result.links.append(DemoLink(name=person.full_name or "", role=role, code=new.code))
        result.expires = new.invite.expires_at.astimezone(self.settings.tz).strftime("%d.%m.%Y")

    async def assignment(self, tutor: Person, teacher: Person, result: DemoResult) -> None:
        existing = await self.session.scalar(
            select(TutorAssignment.id).where(
                TutorAssignment.tutor_id == tutor.id, TutorAssignment.teacher_id == teacher.id
            )
        )
        if existing is not None:
            return
        self.session.add(
            TutorAssignment(tutor_id=tutor.id, teacher_id=teacher.id, starts_on=self.today)
        )
        await self.session.flush()
        result.created["assignments"] += 1

    async def community(
        self, municipality_id: int, spec: dict[str, Any], result: DemoResult
    ) -> Community:
        found = await self.communities.by_name(municipality_id, spec["name"])
        if found is not None:
            return found
        community = await self.communities.add(
            Community(
                municipality_id=municipality_id,
                name=spec["name"],
                description=spec.get("description"),
            )
        )
        result.created["communities"] += 1
        return community

    async def member(self, community: Community, person: Person, result: DemoResult) -> None:
        if await self.communities.membership(community.id, person.id) is not None:
            return
        await self.communities.add_member(community.id, person.id)
        result.created["members"] += 1


async def build_demo(
    session: AsyncSession, settings: Settings, scenario: dict[str, Any] | None = None
) -> DemoResult:
    """Create whatever of the demo is missing; links only for people created in this run."""
    scenario = scenario or load_scenario()
    builder = _Builder(session, settings)
    region = await builder.places.ensure_region(settings.region_name)
    result = DemoResult(region=region.name, municipality=scenario["municipality"])
    municipality = await builder.municipality(region.id, scenario["municipality"], result)
    schools = {
        spec["name"]: await builder.school(municipality.id, spec, result)
        for spec in scenario["schools"]
    }

    coordinator, is_new = await builder.person(
        scenario["coordinator"], [Role.COORDINATOR], municipality, None, result
    )
    if is_new:
        await builder.invite(coordinator, Role.COORDINATOR, result)

    tutors: list[Person] = []
    tutor_school = schools[scenario["tutors"]["school"]]
    for spec in scenario["tutors"]["people"]:
        tutor, is_new = await builder.person(spec, [Role.TUTOR], municipality, tutor_school, result)
        if is_new:
            await builder.invite(tutor, Role.TUTOR, result)
        tutors.append(tutor)

    teachers: list[tuple[Person, dict[str, Any]]] = []
    for spec in scenario["teachers"]:
        roles = [Role.TEACHER, Role.SCHOOL_LEADER] if spec.get("school_leader") else [Role.TEACHER]
        teacher, _ = await builder.person(
            spec, roles, municipality, schools[spec["school"]], result
        )
        await builder.assignment(tutors[spec["tutor"]], teacher, result)
        teachers.append((teacher, spec))

    for spec in scenario["communities"]:
        community = await builder.community(municipality.id, spec, result)
        for teacher, teacher_spec in teachers:
            if set(spec["subjects"]) & set(teacher_spec.get("subjects", [])):
                await builder.member(community, teacher, result)
    return result


async def create_demo_data(session: AsyncSession, settings: Settings) -> str:
    """What `nastavnik demo-data` runs; returns the summary to print."""
    result = await build_demo(session, settings)
    locale = settings.default_locale
    return Templates(LOCALES_DIR, [locale]).render("demo_summary.html", locale, result=result)
