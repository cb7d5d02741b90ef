"""Mekomot LMS: the learning management system of the national school for local authority officials."""
