"""What the service says on a caller's call: the call flow's words, the fail-safe's and the
static fallback's (which the command line prints for Twilio's console)."""

NOBODY_ACCEPTED = (
    "Nobody could take your call just now. It is being escalated to the senior manager on call. "
    "Please leave a message after the tone with your name and a number to call you back, "
    "then hang up."
)
OUTSIDE_HOURS = "The out-of-hours service is closed now. Transferring you to the daytime duty desk."
ACCEPTED = "Connecting you to the caller."
MESSAGE_TAKEN = "Thank you. Your message has been passed on and someone will call you back."
PASSING_ON = "Passing the call on."
NO_LONGER_WAITING = "The caller is no longer waiting. Thank you."
CONNECTING_UNSCREENED = "Out-of-hours call. Connecting you."  # the whisper could not run

FAILSAFE_GREETING = "Connecting you to the out-of-hours duty worker."
UNREACHABLE = "We cannot connect you just now. In an emergency, hang up and dial 999."
STATIC_GREETING = "Connecting you to the out-of-hours service."
STATIC_UNREACHABLE = "We cannot connect you just now. In an emergency, dial 999."
