"""The live wall: a workshop's or an event's published input, projected in the room and updated as it arrives."""
