"""Skill discovery for data without skill labels (after Didolkar et al. 2024, as in DataEnvGym):
label each val item with a fine-grained skill, group the labels into categories, assign every
item to a category. Each stage lands in the history, so a rerun continues where it stopped."""
