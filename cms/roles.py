"""The three roles of the platform. A role is a Django group; these are their names."""

MEMBERS = "Members"
TRAINERS = "Trainers"
MANAGERS = "Managers"

ALL_ROLES = (MEMBERS, TRAINERS, MANAGERS)
