"""The model types: the 11 tool types the trained model has a class for, with the crib's name
for each. The classes themselves (order and training folders) are listed once, in
inference/recognise.py CLASS_NAMES."""

from django.utils.text import slugify

from inference.recognise import CLASS_NAMES

# The crib's name of each model class, in the order of CLASS_NAMES.
MODEL_TYPE_NAMES = (
    "Flat screwdriver",
    "Phillips screwdriver",
    "Offset Phillips screwdriver",
    "Brace (kolovorot)",
    "Lockwire pliers",
    "Combination pliers",
    "Shernitsa",
    "Adjustable wrench",
    "Can opener",
    "Open-end wrench 3/4",
    "Side cutters",
)


def ensure_model_types():
    """Create whichever model types are missing; an admin's later renames are left alone.

    The one place they are made: after every migrate and every flush (apps.py, post_migrate).
    """
    from toolcrib.crib.models import ToolType

    present = set(ToolType.objects.values_list("model_class_index", flat=True))
    # bulk_create: seeding the crib is not an admin's change, so it leaves no audit event.
    ToolType.objects.bulk_create(
        [
            ToolType(
                model_class_index=index,
                name=name,
                slug=slugify(folder.split("_", 1)[1]),
                description=f"Kit class {folder}.",
            )
            for index, (folder, name) in enumerate(zip(CLASS_NAMES, MODEL_TYPE_NAMES, strict=True))
            if index not in present
        ]
    )
