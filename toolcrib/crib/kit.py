"""The 11 tool types of the lightweight kit, in the order of the trained model's class output."""

from django.utils.text import slugify

KIT_TOOL_TYPES = [
    # (class index in the model's `p`, training folder, name)
    (0, "1_screw_flat", "Flat screwdriver"),
    (1, "2_screw_plus", "Phillips screwdriver"),
    (2, "3_offset_screw_plus", "Offset Phillips screwdriver"),
    (3, "4_kolovorot", "Brace (kolovorot)"),
    (4, "5_safety_pliers", "Lockwire pliers"),
    (5, "6_pliers", "Combination pliers"),
    (6, "7_shernitsa", "Shernitsa"),
    (7, "8_adjustable_wrench", "Adjustable wrench"),
    (8, "9_can_opener", "Can opener"),
    (9, "10_open_end_wrench_3_4", "Open-end wrench 3/4"),
    (10, "11_side_cutters", "Side cutters"),
]


def ensure_kit_types(ToolType):
    """Create whichever kit types are missing; an admin's later renames are left alone.

    Takes the model class so that the data migration can pass its historical model.
    """
    for index, folder, name in KIT_TOOL_TYPES:
        ToolType.objects.get_or_create(
            model_class_index=index,
            defaults={
                "name": name,
                "slug": slugify(folder.split("_", 1)[1]),
                "description": f"Kit class {folder}.",
            },
        )
