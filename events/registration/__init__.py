"""Registration: booking, the waiting list, the manage link, the participant's data rights and retention."""
