"""iCalendar for agendas: feeds, downloads and the invitations emails carry."""
