"""The registration services in one namespace, for callers that use several of them together (the test suites
book, change and cancel through ``services.register``, ``services.cancel``...). The application's own modules
import the module that does the work:

* ``booking``: a new registration (``register``; ``Prepared`` is what the form already loaded);
* ``changes``: what a manage link shows (``registration_for_token``) and changes by the person or by staff;
* ``cancellation``: cancelling, by the person, by staff, or inside a transaction (``cancel_locked``);
* ``waitlist``: promoting from the waiting list;
* ``answers``: what a registration may store, cleaned;
* ``rights``: the person's data rights (their data, erasure).

Every write happens in one ``samrad.core.db.atomic()`` transaction together with the email it causes, so a
change and its email exist together or not at all. Personal data is stored only for the questions the event
asks; the manage token is stored as its SHA-256 only. Logs carry ids and statuses, never names, emails, free
text or tokens.
"""

from events.contracts import RegistrationChange, RegistrationError, RegistrationInput, RegistrationResult
from events.registration.booking import Prepared, register
from events.registration.cancellation import cancel, cancel_by_staff, cancel_locked
from events.registration.changes import change, change_by_staff, registration_for_token
from events.registration.waitlist import promote_waitlisted

__all__ = [
    "Prepared",
    "RegistrationChange",
    "RegistrationError",
    "RegistrationInput",
    "RegistrationResult",
    "cancel",
    "cancel_by_staff",
    "cancel_locked",
    "change",
    "change_by_staff",
    "promote_waitlisted",
    "register",
    "registration_for_token",
]
