"""`manage.py load_demo`: the demo bureau, its units, personas and catalog (safe to run again)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from govhall.catalog.demo import load_catalog_demo
from govhall.complaints.demo import load_complaints_demo
from govhall.halls.demo import load_halls_demo
from govhall.identity.demo import DEMO_PASSWORD, load_demo
from govhall.identity.models import User
from govhall.inspections.demo import load_inspections_demo
from govhall.licences.demo import load_licence_demo
from govhall.office.demo import load_office_demo
from govhall.proactive.demo import (
    load_bundle_demo,
    load_entitlement_demo,
    load_renewal_demo,
    load_suggestions_demo,
)
from govhall.publicinfo.demo import load_publicinfo_demo
from govhall.ratings.demo import load_ratings_demo
from govhall.sensors.demo import load_sensors_demo
from govhall.sharing.actions import define_default_datasets, refresh_dataset
from govhall.sharing.queries import list_open_datasets


class Command(BaseCommand):
    help = "Create the demo bureau, its units, staff and applicant personas and the demo catalog (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("Refusing to load demo accounts with a shared password into a production database.")
        logins = load_demo()
        report = load_catalog_demo(
            editor=User.objects.get(username="helen"), approver=User.objects.get(username="grace")
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo catalog: {len(report.created)} items created, {len(report.updated)} updated, "
                f"{len(report.unchanged)} unchanged."
            )
        )
        entries = load_publicinfo_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo public information: {len(entries)} entries published at /info/."))
        licences = load_licence_demo()
        load_renewal_demo()
        load_entitlement_demo()
        load_suggestions_demo()
        load_bundle_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo licences: {licences} historical licences created."))
        ratings = load_ratings_demo()
        complaints = load_complaints_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo ratings: {ratings} made; demo complaints: {len(complaints)} made."))
        office = load_office_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo office work: {len(office)} documents and tasks made."))
        draws = load_inspections_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo post-licence supervision: {draws} random draw made."))
        stations = load_sensors_demo()
        halls, keys_file = load_halls_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo halls: {halls} service points, with windows and queues."))
        if keys_file:
            self.stdout.write(f"  the display board and kiosk keys are in {keys_file}: open /hall/enrol/ and enter one")
        if not list_open_datasets().exists():  # defined once: each definition records its secrecy review
            for dataset in define_default_datasets(actor="manage.py load_demo"):
                refresh_dataset(dataset)
        self.stdout.write(self.style.SUCCESS("Demo open data: published at /data/."))
        self.stdout.write(self.style.SUCCESS(f"Demo field sensors: {stations} stations made (storm: simulate_storm)."))
        for tracking_number, query_code in complaints:
            self.stdout.write(
                f"  complaint {tracking_number}: follow it at /complaints/follow/ with the code {query_code}"
            )
        self.stdout.write(self.style.SUCCESS("Demo data ready. Every demo login uses the password: " + DEMO_PASSWORD))
        for surface, login, description in logins:
            where = "/desk/login/" if surface == "desk" else "/login/     "
            self.stdout.write(f"  {where}  {login:<20} {description}")
