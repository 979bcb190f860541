"""Events: conferences, café series, trainings and meetings; their dates, venues, audiences and registrations."""
